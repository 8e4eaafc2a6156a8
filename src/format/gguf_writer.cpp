#include "format/gguf_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "util/error.h"

namespace hearth {
namespace {

// ggml stores tensor names in a 64-byte buffer, NUL included.
constexpr std::size_t kMaxTensorName = 63;

void put_bytes(std::string& out, const void* data, std::size_t n) { out.append(static_cast<const char*>(data), n); }

template <typename T>
void put(std::string& out, T v) {
  put_bytes(out, &v, sizeof v);
}

void put_string(std::string& out, const std::string& s) {
  put<std::uint64_t>(out, s.size());
  out += s;
}

// The integer held by `v`, whatever the variant alternative, for range checks against its GGUF type.
__int128 integer_of(const GgufValue& v, const std::string& key) {
  if (const auto* u = std::get_if<std::uint64_t>(&v.value)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&v.value)) return *i;
  fail("metadata {}: {} value does not hold an integer", key, gguf_type_name(v.type));
}

template <typename T>
void put_integer(std::string& out, const GgufValue& v, const std::string& key) {
  __int128 x = integer_of(v, key);
  if (x < static_cast<__int128>(std::numeric_limits<T>::min()) ||
      x > static_cast<__int128>(std::numeric_limits<T>::max()))
    fail("metadata {}: value does not fit in {}", key, gguf_type_name(v.type));
  put<T>(out, static_cast<T>(x));
}

double float_of(const GgufValue& v, const std::string& key) {
  if (const auto* d = std::get_if<double>(&v.value)) return *d;
  fail("metadata {}: {} value does not hold a number", key, gguf_type_name(v.type));
}

// Serialises a value without its type tag (the caller writes the tag, or the array's element type).
void put_value(std::string& out, const GgufValue& v, const std::string& key, int depth) {
  require(depth < 16, "metadata {}: arrays nested too deeply", key);
  switch (v.type) {
    case GgufType::UINT8:
      return put_integer<std::uint8_t>(out, v, key);
    case GgufType::INT8:
      return put_integer<std::int8_t>(out, v, key);
    case GgufType::UINT16:
      return put_integer<std::uint16_t>(out, v, key);
    case GgufType::INT16:
      return put_integer<std::int16_t>(out, v, key);
    case GgufType::UINT32:
      return put_integer<std::uint32_t>(out, v, key);
    case GgufType::INT32:
      return put_integer<std::int32_t>(out, v, key);
    case GgufType::UINT64:
      return put_integer<std::uint64_t>(out, v, key);
    case GgufType::INT64:
      return put_integer<std::int64_t>(out, v, key);
    case GgufType::FLOAT32:
      return put<float>(out, static_cast<float>(float_of(v, key)));
    case GgufType::FLOAT64:
      return put<double>(out, float_of(v, key));
    case GgufType::BOOL: {
      const auto* b = std::get_if<bool>(&v.value);
      require(b != nullptr, "metadata {}: bool value does not hold a bool", key);
      return put<std::uint8_t>(out, *b ? 1 : 0);
    }
    case GgufType::STRING: {
      const auto* s = std::get_if<std::string>(&v.value);
      require(s != nullptr, "metadata {}: string value does not hold a string", key);
      return put_string(out, *s);
    }
    case GgufType::ARRAY: {
      const auto* a = std::get_if<GgufArray>(&v.value);
      require(a != nullptr, "metadata {}: array value does not hold an array", key);
      require(static_cast<std::uint32_t>(a->element_type) <= static_cast<std::uint32_t>(GgufType::FLOAT64),
              "metadata {}: unknown array element type", key);
      put<std::uint32_t>(out, static_cast<std::uint32_t>(a->element_type));
      put<std::uint64_t>(out, a->items.size());
      for (const auto& item : a->items) {
        require(item.type == a->element_type, "metadata {}: array of {} holds a {}", key,
                gguf_type_name(a->element_type), gguf_type_name(item.type));
        put_value(out, item, key, depth + 1);
      }
      return;
    }
  }
  fail("metadata {}: unknown value type {}", key, static_cast<std::uint32_t>(v.type));
}

}  // namespace

struct GgufWriter::Impl {
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t nbytes;
    std::uint64_t offset;
  };

  std::string path;
  std::string tmp_path;
  std::uint64_t alignment;
  std::FILE* out = nullptr;
  bool failed = false;
  bool finished = false;

  std::string kv_bytes;  // serialised key-value pairs, in the order they were added
  std::uint64_t kv_count = 0;
  std::set<std::string> keys;

  std::vector<Tensor> tensors;
  std::set<std::string> tensor_names;
  std::uint64_t data_size = 0;  // aligned end of the last declared tensor

  bool header_written = false;
  std::size_t current = 0;            // tensor receiving data
  std::uint64_t current_written = 0;  // bytes of it written so far

  void write(const void* data, std::size_t n) {
    if (n == 0) return;
    if (std::fwrite(data, 1, n, out) != n) {
      failed = true;
      fail("writing {}: {}", tmp_path, std::strerror(errno));
    }
  }

  void write_padding(std::uint64_t n) {
    static const char zeros[64] = {};
    while (n > 0) {
      std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof zeros));
      write(zeros, chunk);
      n -= chunk;
    }
  }

  void check_usable() const {
    require(!finished, "GGUF writer for {}: already finished", path);
    require(!failed, "GGUF writer for {}: an earlier write failed", path);
  }

  void write_header() {
    std::string h;
    put_bytes(h, "GGUF", 4);
    put<std::uint32_t>(h, 3);
    put<std::uint64_t>(h, tensors.size());
    put<std::uint64_t>(h, kv_count);
    h += kv_bytes;
    for (const auto& t : tensors) {
      put_string(h, t.name);
      put<std::uint32_t>(h, static_cast<std::uint32_t>(t.shape.size()));
      for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
        put<std::uint64_t>(h, static_cast<std::uint64_t>(*it));
      put<std::uint32_t>(h, static_cast<std::uint32_t>(t.dtype));
      put<std::uint64_t>(h, t.offset);
    }
    h.resize(static_cast<std::size_t>(gguf_align_up(h.size(), alignment)), '\0');
    write(h.data(), h.size());
    header_written = true;
    kv_bytes.clear();
    kv_bytes.shrink_to_fit();
  }

  void close_and_remove() {
    if (out != nullptr) {
      std::fclose(out);
      out = nullptr;
    }
    if (!finished && !tmp_path.empty()) ::unlink(tmp_path.c_str());
  }
};

GgufWriter::GgufWriter(std::string path, std::uint64_t alignment) : impl_(new Impl) {
  try {
    require(alignment > 0 && (alignment & (alignment - 1)) == 0 && alignment <= (1u << 24),
            "GGUF alignment {} is not a power of two", alignment);
    impl_->path = std::move(path);
    impl_->alignment = alignment;
    impl_->out = std::fopen((impl_->path + ".tmp").c_str(), "wb");
    if (impl_->out == nullptr) fail("cannot create {}.tmp: {}", impl_->path, std::strerror(errno));
    impl_->tmp_path = impl_->path + ".tmp";  // set once it is ours to remove
    std::setvbuf(impl_->out, nullptr, _IOFBF, 1 << 20);
    // Readers assume 32 when the key is absent; write it only when it says something.
    if (alignment != 32) {
      const std::string key = "general.alignment";
      put_string(impl_->kv_bytes, key);
      put<std::uint32_t>(impl_->kv_bytes, static_cast<std::uint32_t>(GgufType::UINT32));
      put<std::uint32_t>(impl_->kv_bytes, static_cast<std::uint32_t>(alignment));
      impl_->keys.insert(key);
      ++impl_->kv_count;
    }
  } catch (...) {
    impl_->close_and_remove();
    delete impl_;
    throw;
  }
}

GgufWriter::~GgufWriter() {
  impl_->close_and_remove();
  delete impl_;
}

void GgufWriter::add_metadata(const std::string& key, GgufValue value) {
  Impl& m = *impl_;
  m.check_usable();
  require(!m.header_written, "GGUF writer: metadata {} added after tensor data", key);
  require(!key.empty() && key.size() <= 65535, "GGUF writer: invalid metadata key '{}'", key);
  require(key != "general.alignment", "GGUF writer: general.alignment is set from the writer's alignment");
  require(m.keys.insert(key).second, "GGUF writer: duplicate metadata key {}", key);
  std::string bytes;
  put_string(bytes, key);
  put<std::uint32_t>(bytes, static_cast<std::uint32_t>(value.type));
  put_value(bytes, value, key, 0);
  m.kv_bytes += bytes;
  ++m.kv_count;
}

void GgufWriter::add_tensor(const std::string& name, DType type, const std::vector<std::int64_t>& shape) {
  Impl& m = *impl_;
  m.check_usable();
  require(!m.header_written, "GGUF writer: tensor {} declared after tensor data", name);
  require(!name.empty() && name.size() <= kMaxTensorName, "GGUF writer: tensor name '{}' must have 1 to {} bytes", name,
          kMaxTensorName);
  require(!shape.empty() && shape.size() <= kGgufMaxDims, "GGUF writer: tensor {} has {} dimensions (1 to {} allowed)",
          name, shape.size(), kGgufMaxDims);
  const DTypeInfo& info = dtype_info(type);
  unsigned __int128 nbytes = 1;
  for (auto d : shape) require(d >= 1, "GGUF writer: tensor {} has a dimension {}", name, d);
  require(shape.back() % info.block_size == 0, "GGUF writer: tensor {} row length {} is not a multiple of {}", name,
          shape.back(), info.block_size);
  nbytes = static_cast<unsigned __int128>(shape.back() / info.block_size) * info.block_bytes;
  for (std::size_t i = 0; i + 1 < shape.size(); ++i) {
    nbytes *= static_cast<std::uint64_t>(shape[i]);
    require(nbytes <= std::numeric_limits<std::int64_t>::max(), "GGUF writer: tensor {} is too large", name);
  }
  require(m.tensor_names.insert(name).second, "GGUF writer: duplicate tensor {}", name);
  Impl::Tensor t{name, type, shape, static_cast<std::uint64_t>(nbytes), m.data_size};
  m.data_size = gguf_align_up(t.offset + t.nbytes, m.alignment);
  m.tensors.push_back(std::move(t));
}

void GgufWriter::write_tensor_data(const void* data, std::size_t nbytes) {
  Impl& m = *impl_;
  m.check_usable();
  if (!m.header_written) m.write_header();
  require(m.current < m.tensors.size(), "GGUF writer: {} bytes of data beyond the last declared tensor", nbytes);
  const Impl::Tensor& t = m.tensors[m.current];
  require(nbytes <= t.nbytes - m.current_written, "GGUF writer: tensor {} takes {} bytes, {} were given", t.name,
          t.nbytes, m.current_written + nbytes);
  m.write(data, nbytes);
  m.current_written += nbytes;
  if (m.current_written == t.nbytes) {
    m.write_padding(gguf_align_up(t.nbytes, m.alignment) - t.nbytes);
    ++m.current;
    m.current_written = 0;
  }
}

void GgufWriter::finish() {
  Impl& m = *impl_;
  m.check_usable();
  if (!m.header_written) m.write_header();
  if (m.current < m.tensors.size()) {
    const Impl::Tensor& t = m.tensors[m.current];
    fail("GGUF writer: tensor {} received {} of its {} bytes", t.name, m.current_written, t.nbytes);
  }
  if (std::fflush(m.out) != 0 || ::fsync(::fileno(m.out)) != 0) {
    m.failed = true;
    fail("writing {}: {}", m.tmp_path, std::strerror(errno));
  }
  int rc = std::fclose(m.out);
  m.out = nullptr;
  if (rc != 0) {
    m.failed = true;
    fail("writing {}: {}", m.tmp_path, std::strerror(errno));
  }
  if (std::rename(m.tmp_path.c_str(), m.path.c_str()) != 0) {
    m.failed = true;
    fail("cannot rename {} to {}: {}", m.tmp_path, m.path, std::strerror(errno));
  }
  m.finished = true;
  // Make the rename itself durable.
  std::filesystem::path dir = std::filesystem::path(m.path).parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace hearth

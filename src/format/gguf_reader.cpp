#include "format/gguf_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <string_view>

#include "util/error.h"

namespace hearth {
namespace {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
// Arrays of arrays are legal; a bound on nesting keeps a hostile file from exhausting the stack.
constexpr int kMaxArrayDepth = 16;
// Real files hold at most a few million metadata values (vocabularies, merges, scores); the bound
// keeps a corrupted count from turning a large weight region into billions of parsed values.
constexpr std::uint64_t kMaxMetadataValues = std::uint64_t{1} << 24;
constexpr std::uint64_t kMaxTensors = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxAlignment = std::uint64_t{1} << 24;
constexpr std::uint64_t kMaxKeyLength = 65535;

// Names and keys go into one-line error messages: escape control bytes and cap the length.
std::string printable(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 96)) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  if (s.size() > 96) out += "...";
  return out;
}

// Bounds-checked little-endian reads over the mapped bytes.
class Cursor {
 public:
  Cursor(const std::uint8_t* data, std::uint64_t size) : data_(data), size_(size) {}

  std::uint64_t pos() const { return pos_; }
  std::uint64_t remaining() const { return size_ - pos_; }

  void need(std::uint64_t n, const char* what) const {
    if (n > remaining())
      fail("truncated: {} needs {} bytes at offset {} but the file ends after {}", what, n, pos_, remaining());
  }

  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const char* what) {
    std::uint64_t len = read<std::uint64_t>(what);
    if (len > remaining())
      fail("truncated: {} of {} bytes at offset {} runs past the end of the file ({} bytes left)", what, len, pos_,
           remaining());
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<std::size_t>(len));
    pos_ += len;
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
};

GgufType read_value_type(Cursor& c, const char* what) {
  std::uint32_t t = c.read<std::uint32_t>(what);
  require(t <= static_cast<std::uint32_t>(GgufType::FLOAT64), "unknown metadata value type {}", t);
  return static_cast<GgufType>(t);
}

// Smallest number of bytes one value of `type` occupies: bounds array counts before allocating.
std::uint64_t min_encoded_size(GgufType type) {
  switch (type) {
    case GgufType::UINT8:
    case GgufType::INT8:
    case GgufType::BOOL:
      return 1;
    case GgufType::UINT16:
    case GgufType::INT16:
      return 2;
    case GgufType::UINT32:
    case GgufType::INT32:
    case GgufType::FLOAT32:
      return 4;
    case GgufType::UINT64:
    case GgufType::INT64:
    case GgufType::FLOAT64:
    case GgufType::STRING:
      return 8;
    case GgufType::ARRAY:
      return 12;
  }
  return 1;
}

class MetadataParser {
 public:
  explicit MetadataParser(Cursor& cursor) : c_(cursor) {}

  GgufValue read_value(GgufType type, int depth) {
    if (++values_ > kMaxMetadataValues) fail("more than {} metadata values", kMaxMetadataValues);
    switch (type) {
      case GgufType::UINT8:
        return {type, std::uint64_t{c_.read<std::uint8_t>("uint8 value")}};
      case GgufType::INT8:
        return {type, std::int64_t{c_.read<std::int8_t>("int8 value")}};
      case GgufType::UINT16:
        return {type, std::uint64_t{c_.read<std::uint16_t>("uint16 value")}};
      case GgufType::INT16:
        return {type, std::int64_t{c_.read<std::int16_t>("int16 value")}};
      case GgufType::UINT32:
        return {type, std::uint64_t{c_.read<std::uint32_t>("uint32 value")}};
      case GgufType::INT32:
        return {type, std::int64_t{c_.read<std::int32_t>("int32 value")}};
      case GgufType::UINT64:
        return {type, c_.read<std::uint64_t>("uint64 value")};
      case GgufType::INT64:
        return {type, c_.read<std::int64_t>("int64 value")};
      case GgufType::FLOAT32:
        return {type, double{c_.read<float>("float32 value")}};
      case GgufType::FLOAT64:
        return {type, c_.read<double>("float64 value")};
      case GgufType::BOOL: {
        std::uint8_t b = c_.read<std::uint8_t>("bool value");
        require(b <= 1, "bool value {} at offset {} is neither 0 nor 1", b, c_.pos() - 1);
        return {type, b == 1};
      }
      case GgufType::STRING:
        return {type, c_.read_string("string value")};
      case GgufType::ARRAY:
        return read_array(depth);
    }
    fail("unknown metadata value type {}", static_cast<std::uint32_t>(type));
  }

 private:
  GgufValue read_array(int depth) {
    require(depth < kMaxArrayDepth, "arrays nested deeper than {} levels", kMaxArrayDepth);
    GgufArray array;
    array.element_type = read_value_type(c_, "array element type");
    std::uint64_t count = c_.read<std::uint64_t>("array length");
    std::uint64_t min_size = min_encoded_size(array.element_type);
    if (count > c_.remaining() / min_size)
      fail("truncated: array of {} {} values at offset {} needs at least {} bytes, the file has {} left", count,
           gguf_type_name(array.element_type), c_.pos(),
           count > std::numeric_limits<std::uint64_t>::max() / min_size ? std::string("more than 2^64")
                                                                        : std::to_string(count * min_size),
           c_.remaining());
    if (count > kMaxMetadataValues - std::min(values_, kMaxMetadataValues))
      fail("array of {} values is larger than the {} metadata values a model file may hold", count, kMaxMetadataValues);
    array.items.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) array.items.push_back(read_value(array.element_type, depth + 1));
    return {GgufType::ARRAY, std::move(array)};
  }

  Cursor& c_;
  std::uint64_t values_ = 0;
};

struct TensorInfo {
  std::string name;
  std::vector<std::int64_t> shape;  // outermost first
  DType dtype = DType::F32;
  std::uint64_t offset = 0;  // relative to the data section
  std::uint64_t nbytes = 0;
};

TensorInfo read_tensor_info(Cursor& c) {
  TensorInfo t;
  t.name = c.read_string("tensor name");
  require(!t.name.empty(), "empty tensor name");
  require(t.name.size() <= kMaxKeyLength, "tensor name of {} bytes is too long", t.name.size());
  std::uint32_t n_dims = c.read<std::uint32_t>("dimension count");
  require(n_dims >= 1 && n_dims <= kGgufMaxDims, "tensor {} has {} dimensions (1 to {} allowed)", printable(t.name), n_dims,
          kGgufMaxDims);
  std::vector<std::uint64_t> ne(n_dims);
  for (auto& d : ne) {
    d = c.read<std::uint64_t>("tensor dimension");
    require(d >= 1 && d <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
            "tensor {} has invalid dimension {}", printable(t.name), d);
  }
  std::uint32_t type_id = c.read<std::uint32_t>("tensor type");
  auto dtype = dtype_from_ggml(type_id);
  require(dtype.has_value(), "tensor {} has unknown or unsupported type id {}", printable(t.name), type_id);
  t.dtype = *dtype;
  t.offset = c.read<std::uint64_t>("tensor data offset");

  // GGUF lists dimensions innermost first; TensorView wants outermost first.
  t.shape.assign(ne.rbegin(), ne.rend());
  const DTypeInfo& info = dtype_info(t.dtype);
  auto row = static_cast<std::int64_t>(ne[0]);
  require(row % info.block_size == 0, "tensor {}: row length {} is not a multiple of the {} block size {}",
          printable(t.name), row, info.name, info.block_size);
  // Byte size = row bytes * rows, computed with overflow checks (dimensions come from the file).
  unsigned __int128 bytes = static_cast<unsigned __int128>(row / info.block_size) * info.block_bytes;
  for (std::uint32_t i = 1; i < n_dims; ++i) {
    bytes *= ne[i];
    require(bytes <= std::numeric_limits<std::int64_t>::max(), "tensor {}: shape is too large", printable(t.name));
  }
  require(bytes <= std::numeric_limits<std::int64_t>::max(), "tensor {}: shape is too large", printable(t.name));
  t.nbytes = static_cast<std::uint64_t>(bytes);
  return t;
}

}  // namespace

GgufFile::GgufFile(const std::string& path) : file_(path) {
  try {
    const std::uint8_t* base = file_.data();
    const std::uint64_t size = file_.size();
    require(size >= 4 && std::memcmp(base, kMagic, 4) == 0, "not a GGUF file (no 'GGUF' magic at the start)");
    Cursor c(base, size);
    c.read<std::uint32_t>("magic");
    version_ = c.read<std::uint32_t>("header");
    if (version_ == 0x02000000u || version_ == 0x03000000u) fail("big-endian GGUF files are not supported");
    require(version_ != 1, "GGUF version 1 is not supported (convert the model again with a current tool)");
    require(version_ == 2 || version_ == 3, "unsupported GGUF version {} (versions 2 and 3 are supported)", version_);
    const std::uint64_t tensor_count = c.read<std::uint64_t>("header");
    const std::uint64_t kv_count = c.read<std::uint64_t>("header");
    // Smallest encodings: a key-value pair takes 8 + 1 + 4 + 1 bytes, a tensor info 8 + 1 + 4 + 8 + 4 + 8.
    require(kv_count <= c.remaining() / 14, "truncated: header announces {} metadata entries, more than {} bytes hold",
            kv_count, c.remaining());
    require(tensor_count <= c.remaining() / 33, "truncated: header announces {} tensors, more than {} bytes hold",
            tensor_count, c.remaining());
    require(kv_count <= kMaxMetadataValues, "header announces {} metadata entries (at most {} supported)", kv_count,
            kMaxMetadataValues);
    require(tensor_count <= kMaxTensors, "header announces {} tensors (at most {} supported)", tensor_count,
            kMaxTensors);

    MetadataParser parser(c);
    metadata_.reserve(static_cast<std::size_t>(kv_count));
    for (std::uint64_t i = 0; i < kv_count; ++i) {
      std::string key;
      try {
        key = c.read_string("metadata key");
        require(!key.empty(), "empty key");
        require(key.size() <= kMaxKeyLength, "key of {} bytes is longer than {}", key.size(), kMaxKeyLength);
        GgufType type = read_value_type(c, "metadata value type");
        GgufValue value = parser.read_value(type, 0);
        require(metadata_index_.emplace(key, metadata_.size()).second, "duplicate key");
        metadata_.emplace_back(key, std::move(value));
      } catch (const Error& e) {
        if (key.empty()) fail("metadata entry {}: {}", i, e.what());
        fail("metadata entry {} ('{}'): {}", i, printable(key), e.what());
      }
    }

    if (const GgufValue* a = find("general.alignment")) {
      std::int64_t alignment = a->as_int("general.alignment");
      require(
          alignment > 0 && (alignment & (alignment - 1)) == 0 && static_cast<std::uint64_t>(alignment) <= kMaxAlignment,
          "general.alignment {} is not a power of two up to {}", alignment, kMaxAlignment);
      alignment_ = static_cast<std::uint64_t>(alignment);
    }

    std::vector<TensorInfo> infos;
    infos.reserve(static_cast<std::size_t>(tensor_count));
    for (std::uint64_t i = 0; i < tensor_count; ++i) {
      try {
        infos.push_back(read_tensor_info(c));
      } catch (const Error& e) {
        fail("tensor info {}: {}", i, e.what());
      }
    }

    const std::uint64_t data_start = gguf_align_up(c.pos(), alignment_);
    const std::uint64_t data_size = data_start <= size ? size - data_start : 0;
    if (tensor_count > 0)
      require(data_start <= size, "truncated: the tensor data section would start at offset {}, past the end ({})",
              data_start, size);
    for (const auto& t : infos) {
      require(t.offset % alignment_ == 0, "tensor {}: data offset {} is not a multiple of the alignment {}",
              printable(t.name), t.offset, alignment_);
      require(t.offset <= data_size && t.nbytes <= data_size - t.offset,
              "truncated: tensor {} needs bytes [{}, {}) of the data section, which holds {}", printable(t.name),
              t.offset,
              static_cast<unsigned __int128>(t.offset) + t.nbytes > std::numeric_limits<std::uint64_t>::max()
                  ? std::string("overflow")
                  : std::to_string(t.offset + t.nbytes),
              data_size);
    }
    std::vector<std::size_t> order(infos.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return infos[a].offset < infos[b].offset; });
    for (std::size_t i = 1; i < order.size(); ++i) {
      const TensorInfo& prev = infos[order[i - 1]];
      const TensorInfo& next = infos[order[i]];
      require(prev.offset + prev.nbytes <= next.offset, "tensors {} and {} overlap in the data section",
              printable(prev.name), printable(next.name));
    }

    tensors_.reserve(infos.size());
    for (auto& t : infos) {
      require(tensor_index_.emplace(t.name, tensors_.size()).second, "duplicate tensor {}", printable(t.name));
      TensorView view;
      view.name = std::move(t.name);
      view.dtype = t.dtype;
      view.shape = std::move(t.shape);
      view.data = base + data_start + t.offset;
      view.nbytes = static_cast<std::int64_t>(t.nbytes);
      tensors_.push_back(std::move(view));
    }
  } catch (...) {
    rethrow_with_context(file_.path());
  }
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

namespace {

const GgufValue& must_find(const GgufFile& file, const std::string& key) {
  const GgufValue* v = file.find(key);
  require(v != nullptr, "{}: missing", key);
  return *v;
}

}  // namespace

std::int64_t GgufFile::get_int(const std::string& key) const { return must_find(*this, key).as_int(key); }
double GgufFile::get_float(const std::string& key) const { return must_find(*this, key).as_float(key); }
bool GgufFile::get_bool(const std::string& key) const { return must_find(*this, key).as_bool(key); }
const std::string& GgufFile::get_string(const std::string& key) const { return must_find(*this, key).as_string(key); }
const GgufArray& GgufFile::get_array(const std::string& key) const { return must_find(*this, key).as_array(key); }

std::vector<std::string> GgufFile::get_string_array(const std::string& key) const {
  const GgufArray& a = get_array(key);
  require(a.element_type == GgufType::STRING, "{}: expected an array of strings, found an array of {}", key,
          gguf_type_name(a.element_type));
  std::vector<std::string> out;
  out.reserve(a.items.size());
  for (const auto& v : a.items) out.push_back(v.as_string(key));
  return out;
}

std::vector<std::int64_t> GgufFile::get_int_array(const std::string& key) const {
  const GgufArray& a = get_array(key);
  std::vector<std::int64_t> out;
  out.reserve(a.items.size());
  for (const auto& v : a.items) out.push_back(v.as_int(key));
  return out;
}

std::vector<float> GgufFile::get_float_array(const std::string& key) const {
  const GgufArray& a = get_array(key);
  std::vector<float> out;
  out.reserve(a.items.size());
  for (const auto& v : a.items) out.push_back(static_cast<float>(v.as_float(key)));
  return out;
}

std::int64_t GgufFile::get_int_or(const std::string& key, std::int64_t fallback) const {
  const GgufValue* v = find(key);
  return v ? v->as_int(key) : fallback;
}

double GgufFile::get_float_or(const std::string& key, double fallback) const {
  const GgufValue* v = find(key);
  return v ? v->as_float(key) : fallback;
}

bool GgufFile::get_bool_or(const std::string& key, bool fallback) const {
  const GgufValue* v = find(key);
  return v ? v->as_bool(key) : fallback;
}

std::string GgufFile::get_string_or(const std::string& key, const std::string& fallback) const {
  const GgufValue* v = find(key);
  return v ? v->as_string(key) : fallback;
}

const TensorView* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

class GgufWeightStore : public WeightStore {
 public:
  explicit GgufWeightStore(std::shared_ptr<const GgufFile> file) : file_(std::move(file)) {
    for (const auto& t : file_->tensors()) add(t);
  }

 private:
  std::shared_ptr<const GgufFile> file_;
};

}  // namespace

std::unique_ptr<WeightStore> gguf_weight_store(std::shared_ptr<const GgufFile> file) {
  require(file != nullptr, "gguf_weight_store: no file");
  return std::make_unique<GgufWeightStore>(std::move(file));
}

}  // namespace hearth

#include "server/json_util.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <random>
#include <vector>

#include "server/api_error.h"

namespace hearth::server {

namespace {
// Deeper documents are refused: dumping or walking them recursively could exhaust the stack.
constexpr int kMaxJsonDepth = 128;
// An ordered object finds (and de-duplicates) a key by a linear scan, so parsing an object of n keys costs
// n^2/2 comparisons. The budget bounds that work for the whole body (one object of about 8000 keys; no real
// request comes near it) so that a body of many-keyed objects cannot pin a CPU.
constexpr std::int64_t kMaxKeyComparisons = std::int64_t{1} << 25;

struct TooDeep {};
struct TooManyKeys {};
}  // namespace

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_json(const RequestJson& j) { return j.dump(-1, ' ', false, RequestJson::error_handler_t::replace); }

std::string json_type_phrase(const RequestJson& j) {
  switch (j.type()) {
    case RequestJson::value_t::null:
      return "null";
    case RequestJson::value_t::boolean:
      return "a boolean";
    case RequestJson::value_t::number_integer:
    case RequestJson::value_t::number_unsigned:
      return "an integer";
    case RequestJson::value_t::number_float:
      return "a number";
    case RequestJson::value_t::string:
      return "a string";
    case RequestJson::value_t::array:
      return "an array";
    case RequestJson::value_t::object:
      return "an object";
    default:
      return "a value";
  }
}

RequestJson parse_json_object_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ApiException(ApiError::bad_request("The request body is empty; expected a JSON object."));
  }
  RequestJson j;
  std::vector<std::int64_t> keys_in_open_objects;
  std::int64_t key_comparisons = 0;
  try {
    j = RequestJson::parse(body, [&](int depth, RequestJson::parse_event_t event, RequestJson&) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      switch (event) {
        case RequestJson::parse_event_t::object_start:
          keys_in_open_objects.push_back(0);
          break;
        case RequestJson::parse_event_t::key:
          key_comparisons += keys_in_open_objects.back()++;
          if (key_comparisons > kMaxKeyComparisons) throw TooManyKeys{};
          break;
        case RequestJson::parse_event_t::object_end:
          keys_in_open_objects.pop_back();
          break;
        default:
          break;
      }
      return true;
    });
  } catch (const TooDeep&) {
    throw ApiException(
        ApiError::bad_request(fmt::format("The request body is nested deeper than {} levels.", kMaxJsonDepth)));
  } catch (const TooManyKeys&) {
    throw ApiException(ApiError::bad_request(
        "The request body's objects have too many keys (more than about 8000 in one object, or as much work in "
        "several)."));
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    if (auto pos = what.find("] "); what.rfind("[json.exception", 0) == 0 && pos != std::string::npos) {
      what = what.substr(pos + 2);
    }
    throw ApiException(ApiError::bad_request("The request body is not valid JSON: " + what));
  }
  if (!j.is_object()) {
    throw ApiException(
        ApiError::bad_request("The request body must be a JSON object, got " + json_type_phrase(j) + "."));
  }
  return j;
}

std::int64_t unix_time_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339_now() { return rfc3339(std::chrono::system_clock::now()); }

std::string rfc3339(std::chrono::system_clock::time_point now) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1'000'000'000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:09d}Z", tm, ns);
}

std::string random_id(std::size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string id(length, ' ');
  for (auto& c : id) c = kAlphabet[pick(rng)];
  return id;
}

}  // namespace hearth::server

#pragma once
// Stop strings over streamed text: text that may be the start of a stop string is held back until the next
// piece shows whether it is one, so a stop string never reaches the client. Used by the fake engine; the
// real scheduler may use it as is on its detokenized text.
#include <string>
#include <string_view>
#include <vector>

namespace hearth::server {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  struct Result {
    std::string text;      // safe to emit now
    bool stopped = false;  // a stop string matched; `text` ends right before it
    std::string matched;
  };

  // Adds newly generated text. After a stop, further calls return nothing.
  Result feed(std::string_view text);
  // End of generation without a stop: returns the text still held back.
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace hearth::server

#pragma once
// One HTTP request and its response, as the route handlers see it. The socket layer implements it
// (http_session.cpp); tests implement it with a recorder.
//
// Threading: each exchange has a strand (all of its connection's work runs serialized on it). The handler
// is called on that strand; every method below except post() must be called on it too, that is, from the
// handler or from a function given to post(). post() may be called from any thread (the engine thread
// uses it, through GenerationJob, to hand over events).
#include <functional>
#include <string>

#include "server/http_types.h"

namespace hearth::server {

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual HttpRequest& request() = 0;

  // Sends a complete response and ends the exchange. Ignored once the exchange has ended or closed.
  virtual void respond(HttpResponse response) = 0;

  // Starts a streamed response (chunked transfer encoding); then write() pieces and end_stream().
  virtual void begin_stream(int status, HttpHeaders headers) = 0;
  virtual void write(std::string data) = 0;
  virtual void end_stream() = 0;

  // A header added to whatever response this exchange sends (CORS, for example).
  virtual void add_response_header(std::string name, std::string value) = 0;

  // Runs fn on the exchange's strand. Thread-safe. fn runs even after the exchange ended; check is_open().
  virtual void post(std::function<void()> fn) = 0;

  // fn is called once, on the strand, if the client disconnects or the connection is dropped (timeout,
  // shutdown) before the response ended. It is how generation gets cancelled.
  virtual void on_close(std::function<void()> fn) = 0;

  // True until the response has been handed over completely or the connection was lost.
  virtual bool is_open() const = 0;
  // True once begin_stream() was called.
  virtual bool streaming() const = 0;
};

}  // namespace hearth::server

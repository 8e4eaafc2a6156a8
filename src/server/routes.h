#pragma once
// Route families, one file each:
//   openai_chat.cpp         POST /v1/chat/completions
//   openai_completions.cpp  POST /v1/completions
//   openai_models.cpp       GET /v1/models, GET /v1/models/{model}, POST /v1/embeddings
//   ollama_generation.cpp   POST /api/chat, POST /api/generate
//   ollama_info.cpp         GET /api/tags, POST /api/show, GET /api/ps, GET /api/version, POST /api/embed
//   ops_routes.cpp          GET /health, GET /metrics, GET /
#include "server/router.h"
#include "server/server_context.h"

namespace hearth::server {

void add_openai_chat_routes(Router& router, ServerContext& ctx);
void add_openai_completion_routes(Router& router, ServerContext& ctx);
void add_openai_model_routes(Router& router, ServerContext& ctx);
void add_ollama_generation_routes(Router& router, ServerContext& ctx);
void add_ollama_info_routes(Router& router, ServerContext& ctx);
void add_ops_routes(Router& router, ServerContext& ctx);

inline void add_all_routes(Router& router, ServerContext& ctx) {
  add_openai_chat_routes(router, ctx);
  add_openai_completion_routes(router, ctx);
  add_openai_model_routes(router, ctx);
  add_ollama_generation_routes(router, ctx);
  add_ollama_info_routes(router, ctx);
  add_ops_routes(router, ctx);
}

}  // namespace hearth::server

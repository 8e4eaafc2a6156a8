# The demo model every build makes (README command 1 runs it): `hearth make-demo` writes a small
# Qwen3-MoE Hugging Face folder, `hearth convert` turns it into GGUF. Needs nothing from ../shared.
set(HEARTH_DEMO_DIR ${PROJECT_BINARY_DIR}/demo)
add_custom_command(
  OUTPUT ${HEARTH_DEMO_DIR}/hf/model.safetensors ${HEARTH_DEMO_DIR}/demo-qwen3moe.gguf
  COMMAND hearth make-demo ${HEARTH_DEMO_DIR}/hf
  COMMAND hearth convert ${HEARTH_DEMO_DIR}/hf -o ${HEARTH_DEMO_DIR}/demo-qwen3moe.gguf --type f16
  DEPENDS hearth
  COMMENT "Making the demo model (build/demo/demo-qwen3moe.gguf)"
  VERBATIM)
add_custom_target(demo_model ALL DEPENDS ${HEARTH_DEMO_DIR}/demo-qwen3moe.gguf)

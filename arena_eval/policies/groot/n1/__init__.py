"""GR00T N1 (`gr00t_n1`, Eagle 2: SigLIP + SmolLM2/Llama) and N1.5 (`gr00t_n1_5`, Eagle 2.5:
SigLIP + Qwen3): config, backbone, action head, model, checkpoint layout, metadata, processor,
policy adapter (`policy.Gr00tN1Policy`), tiny checkpoints and training."""

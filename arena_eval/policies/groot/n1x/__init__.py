"""GR00T N1.6 (`Gr00tN1d6`, Eagle 3: SigLIP2 + Qwen3) and N1.7 (`Gr00tN1d7`, Qwen3-VL): config
with NVIDIA's class defaults, backbone configs and backbones, action head, model, processor
files, state and action rules, images, policy adapter (`policy.Gr00tN1xPolicy`) and tiny
checkpoints."""

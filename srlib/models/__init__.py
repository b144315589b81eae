"""Models: every kind (U-Net, TFiLM, AFiLM, GAN, frame, spectral, flow, diffusion), their registry, cards and runtimes."""

"""Models: the AudioUNet baseline (and, later, the GAN)."""

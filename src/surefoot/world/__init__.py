"""Truth models: the Moon, its terrain, the lander's dynamics and contact. Never imported by fsw."""

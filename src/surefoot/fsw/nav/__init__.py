"""Navigation: error-state Kalman filter, onboard map, measurement handling."""

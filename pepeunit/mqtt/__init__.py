"""The MQTT side: topic grammar, publishing, consuming, broker configuration."""

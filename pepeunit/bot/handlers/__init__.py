"""One module per command group; ``registry`` registers them on the bot in order."""

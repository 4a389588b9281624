"""The Discord adapter: discord.py gateway client → neutral events → engine → Discord REST."""

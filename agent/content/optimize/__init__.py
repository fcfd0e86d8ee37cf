"""The optimization engine: score a post, improve it, A/B variants, best time to post, reach diagnosis,
per-account learning and metrics import. Pure functions over text and metric records; the tools in
``tools/optimize.py`` connect them to the database and the chat.
"""

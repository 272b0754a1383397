"""RQ job functions, their schedule and the worker entry point. No Flask, no Dash."""

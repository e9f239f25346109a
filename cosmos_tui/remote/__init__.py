"""Reaching a host: transports (SSH via Paramiko, or this machine), file transfer, the docker and
process runtimes, and nvidia-smi. Nothing here knows about prompts, runs or the database."""

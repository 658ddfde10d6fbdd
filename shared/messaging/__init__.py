"""Safe Kafka delivery shared by every service: broker factory, inbox, outbox, dead letters."""

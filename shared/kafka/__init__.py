"""Kafka plumbing shared by services, tests and operator scripts.

``local_broker`` runs a real Apache Kafka broker from Maven Central jars (these machines have
no Docker engine); ``admin`` creates the contract topics and answers operator questions.
"""

"""Fakes of our own interfaces and local fake servers for the network boundary."""

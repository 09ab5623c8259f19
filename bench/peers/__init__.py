"""Servers the benchmarks run side by side: Mailroom, Postfix, a bare aiosmtpd."""

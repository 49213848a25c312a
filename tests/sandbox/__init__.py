"""The in-process sandbox bank (gateway/connectors/sandbox): what it books, the messages it
writes and its clock.  Balances are computed by hand in each test; every message it writes
is judged by the official XSD with lxml and by the gateway's validator; payment files are
written by hand here, not by the gateway's builder."""

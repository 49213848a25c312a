"""Background work: outbox delivery with retries, collection of status reports and statements."""

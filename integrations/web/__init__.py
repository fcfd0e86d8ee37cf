"""Web adapters: a guarded URL fetcher (no private targets, capped size, timeouts) and readable-text extraction."""

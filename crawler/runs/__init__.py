"""What each crawl did: its ``crawl_runs`` row, its extraction coverage, how far it walked each
section, and which runs belong to processes that are gone. Extensions that only record."""

"""Everything that touches the database: engine and URL handling, the models (the data contract
users query), the migrations, the writer that stores articles, the "already stored?" lookup and
the spool that keeps articles through an outage."""

"""A use of the pipeline: cassettes. Event streams are recorded and replayed (`streams`,
`replay`); vcrpy API cassettes record an app's own Stripe calls with secrets scrubbed
(`recording`, which needs the `record` extra)."""

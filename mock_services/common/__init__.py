"""What the mock services share: app factory, fault injection, dataset, storage, serving."""

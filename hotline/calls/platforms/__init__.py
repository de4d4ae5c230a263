"""Click-to-dial adapters of particular call platforms; each registers its Dialer on import."""

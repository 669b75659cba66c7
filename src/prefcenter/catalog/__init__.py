"""The catalog: channels, topics (purposes) with their legal basis, and versioned notices."""

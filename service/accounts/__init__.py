"""Staff accounts of the console: users with roles, password hashing, sessions and the sign-in throttle."""

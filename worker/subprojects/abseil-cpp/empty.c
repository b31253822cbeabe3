/* Intentionally empty: source of a placeholder static library. */

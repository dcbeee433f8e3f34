"""GraphQL at /api/graphql: the work-item subset, built from schema.graphql with graphql-core."""

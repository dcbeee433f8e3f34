"""The GraphQL documents the epic stores send: work-item epics of a group (read, create,
update) and, on Free, the links of parent issues; every one is checked against GitLab's schema
in `tests/contract/test_graphql.py`."""

# `namespace.workItems` lists the group's own epics only: subgroups come in only when asked
# (`includeDescendants`, off by default; verified.md 3.3), so nothing needs to be passed.
EPICS_QUERY = """
query($path: ID!, $after: String) {
  namespace(fullPath: $path) {
    workItemTypes(name: EPIC) { nodes { id name } }
    workItems(types: [EPIC], first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id iid title description
        widgets {
          type
          ... on WorkItemWidgetLabels { labels { nodes { title } } }
          ... on WorkItemWidgetHierarchy { parent { id iid } }
        }
      }
    }
  }
}
"""

CREATE = """
mutation($input: WorkItemCreateInput!) {
  workItemCreate(input: $input) { workItem { id iid } errors }
}
"""

LINKS_QUERY = """
query($path: ID!, $iids: [String!], $some: Boolean!, $after: String) {
  project(fullPath: $path) {
    workItemTypes(name: ISSUE) { nodes { id name } }
    workItems(iids: $iids, first: 100, after: $after) @include(if: $some) {
      pageInfo { hasNextPage endCursor }
      nodes {
        iid
        widgets {
          type
          ... on WorkItemWidgetLinkedItems {
            linkedItems(filter: RELATED, first: 100) {
              pageInfo { hasNextPage }
              nodes { workItem { id } }
            }
          }
        }
      }
    }
  }
}
"""

UPDATE = """
mutation($input: WorkItemUpdateInput!) {
  workItemUpdate(input: $input) { workItem { id iid } errors }
}
"""

"""Post-processing of the generated OpenAPI document."""


def document_malformed_requests(result, generator, request, public):
    """Any request can be malformed (a broken Host header, unreadable JSON), whatever the
    operation: every operation documents the 400 answer, in the one error shape."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses")
            if responses is not None and "400" not in responses:
                responses["400"] = {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                    "description": "Malformed request",
                }
    return result

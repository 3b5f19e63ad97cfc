"""Page-number pagination of every list of the API. ``page`` and ``page_size`` outside their
documented range (``page`` ≥ 1, ``page_size`` 1…200) are a 400, not silently replaced by the
default; a page past the last is still DRF's 404."""

from rest_framework.pagination import PageNumberPagination

from dentalbridge.api.params import query_whole_number


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        wanted = query_whole_number(
            request, self.page_size_query_param, minimum=1, maximum=self.max_page_size
        )
        return self.page_size if wanted is None else wanted

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            query_whole_number(request, self.page_query_param, minimum=1, maximum=None)
        return super().paginate_queryset(queryset, request, view=view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size
                )
        return parameters

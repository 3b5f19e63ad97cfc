"""The project's URLconf plus one bare view, used as the baseline for request cost.

The bare view does no work of its own, but its request still passes the whole middleware stack
(sessions, authentication, allauth's session tracking, the principal and the second-factor check).
Dividing a page's latency by the bare view's therefore shows what the page itself costs on top of
the fixed price every signed-in request pays.
"""

from django.http import HttpResponse
from django.urls import path

from config import urls as project_urls


def bare(request):
    return HttpResponse("ok")


urlpatterns = [*project_urls.urlpatterns, path("bench/bare/", bare, name="bench_bare")]

handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

"""Know Your Artist: the artist's owner submits who it is and where to pay it; staff read the
document it uploaded. (Being written.)"""

from django.http import Http404, HttpRequest, HttpResponse


def artist_identity(request: HttpRequest, artist_id: str) -> HttpResponse:
    raise Http404("Not yet.")


def verification_document(request: HttpRequest, verification_id: int) -> HttpResponse:
    raise Http404("Not yet.")

"""Messages and listener privacy under /api/v1/. `<ext:>` ids may hold "/", so the listener's
own URL (`listeners/<id>`, erasure) comes last: every longer route is tried before it."""

from django.urls import path

import kalipxo.converters  # noqa: F401 - registers <id:...> and <ext:...>
from messaging import artist_views, listener_views

urlpatterns = [
    path(
        "listeners/<ext:listener_id>/preferences",
        listener_views.ListenerPreferencesView.as_view(),
        name="listener-preferences",
    ),
    path(
        "listeners/<ext:listener_id>/messages",
        listener_views.ListenerMessagesView.as_view(),
        name="listener-messages",
    ),
    path(
        "listeners/<ext:listener_id>/messages/<id:message_id>/read",
        listener_views.ListenerMessageReadView.as_view(),
        name="listener-message-read",
    ),
    path(
        "listeners/<ext:listener_id>/blocks",
        listener_views.ListenerBlocksView.as_view(),
        name="listener-blocks",
    ),
    path(
        "listeners/<ext:listener_id>/reports",
        listener_views.ListenerReportsView.as_view(),
        name="listener-reports",
    ),
    path(
        "listeners/<ext:listener_id>/export",
        listener_views.ListenerExportView.as_view(),
        name="listener-export",
    ),
    path(
        "artists/<ext:artist_id>/messages/<str:fan_id>/read",
        artist_views.ArtistConversationReadView.as_view(),
        name="api-artist-conversation-read",
    ),
    path(
        "artists/<ext:artist_id>/messages/<str:fan_id>",
        artist_views.ArtistConversationView.as_view(),
        name="api-artist-conversation",
    ),
    path(
        "artists/<ext:artist_id>/messages",
        artist_views.ArtistMessagesView.as_view(),
        name="api-artist-messages",
    ),
    path("listeners/<ext:listener_id>", listener_views.ListenerView.as_view(), name="listener"),
]

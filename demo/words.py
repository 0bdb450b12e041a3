"""The words demo names are drawn from: stage names, titles, labels and listeners."""

FIRST_NAMES = (
    "Ada", "Bram", "Cleo", "Dario", "Elin", "Farah", "Gus", "Hana", "Ilya", "Juno", "Kasper",
    "Lena", "Milo", "Nadia", "Otis", "Pia", "Quentin", "Rosa", "Soren", "Tova", "Umar", "Vera",
    "Wren", "Ximena", "Yusuf", "Zora", "Anouk", "Bastian", "Celeste", "Dagny", "Emeric", "Fenna",
    "Ines", "Jasper", "Kaia", "Leif", "Marisol", "Noor", "Oskar", "Priya",
)  # fmt: skip
LAST_NAMES = (
    "Abernathy", "Brightwater", "Castellanos", "Dunmore", "Ekdahl", "Fairweather", "Galloway",
    "Holmqvist", "Ibarra", "Jankowski", "Kestrel", "Lindqvist", "Marchetti", "Nakagawa",
    "Okonkwo", "Pellegrini", "Quarry", "Rasmussen", "Salvatierra", "Thornbury", "Underhill",
    "Valdivia", "Whitlock", "Yarrow", "Zeller", "Ashgrove", "Beaumont", "Corrigan", "Delacroix",
    "Everly", "Fontaine", "Greaves", "Halloran", "Ivers", "Kowalczyk", "Lowell", "Moreau",
)  # fmt: skip
ADJECTIVES = (
    "Amber", "Brass", "Cinder", "Copper", "Dusty", "Faded", "Gentle", "Hollow", "Ivory", "Juniper",
    "Lunar", "Marble", "Northern", "Pale", "Quiet", "Rustic", "Salt", "Slow", "Static", "Sunday",
    "Tidal", "Velvet", "Wandering", "Willow", "Winter", "Wooden", "Crooked", "Distant", "Electric",
    "Feral", "Gilded", "Humble", "Indigo", "Lucky", "Misty", "Painted", "Restless", "Scarlet",
)  # fmt: skip
NOUNS = (
    "Lantern", "Harbor", "Orchard", "Comet", "Fern", "Satellite", "Sparrow", "Tide", "Ember",
    "Meadow", "Signal", "River", "Valley", "Circuit", "Echo", "Moth", "Postcard", "Raven",
    "Lighthouse", "Glacier", "Canyon", "Magnet", "Balloon", "Atlas", "Engine", "Garden", "Compass",
    "Ferry", "Horizon", "Island", "Kettle", "Ladder", "Mirror", "Needle", "Parade", "Quarry",
    "Saddle", "Thunder", "Violet", "Window",
)  # fmt: skip
PLURALS = (
    "Lanterns", "Harbors", "Orchards", "Comets", "Ferns", "Satellites", "Sparrows", "Tides",
    "Embers", "Meadows", "Signals", "Valleys", "Circuits", "Moths", "Postcards", "Ravens",
    "Lighthouses", "Glaciers", "Canyons", "Magnets", "Balloons", "Engines", "Compasses",
    "Ferries", "Islands", "Kettles", "Ladders", "Mirrors", "Needles", "Saddles",
)  # fmt: skip
SYLLABLES = ("ka", "lo", "mi", "ra", "vel", "no", "sa", "ti", "ren", "do", "zu", "el", "ma", "ori", "fen")
PLACES = (
    "Lisbon", "the Valley", "Harbor Street", "the North", "Kyoto", "Avenue B", "the Coast",
    "Marigold Lane", "the Old Pier", "Route 9", "Santa Ines", "the Lowlands",
)  # fmt: skip
VERBS = ("Chasing", "Holding", "Drifting", "Counting", "Burning", "Waiting", "Dancing", "Losing", "Calling")
LABEL_SUFFIXES = ("Records", "Recordings", "Sound", "Music", "Audio")

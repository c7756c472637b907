"""Name registries: how a name a user writes resolves to one of robustgan's objects.

The divergences (``robustgan.divergences.get_divergence``) and the adversarial losses
(``robustgan.gan.losses.get_loss``) are each a ``Registry``, and every name resolves by the same
rule:

1. The name is normalised: blanks around it and next to ``(``, ``)`` and ``,`` are dropped,
   letters are lower-cased, and ``_`` and the remaining blanks become ``-``
   (``"Jensen_Shannon"`` → ``"jensen-shannon"``, ``"beta(1, 1)"`` → ``"beta(1,1)"``).
2. An alias stands for its entry's canonical name.
3. A registered entry is returned as it is: the same object every time.
4. Otherwise a parametrised family whose pattern matches the whole name builds a new entry
   (``"beta(a,b)"``, ``"alpha-<α>"``).
5. Otherwise the registry's fallback is asked: the losses fall back on the divergences, so
   every divergence is a loss too, and a loss name shadows a divergence of the same name.
6. Otherwise a ``ValueError`` lists every valid name, family and alias.

An object that is already an entry (an instance of the accepted kind) passes through
unchanged; anything else is a ``TypeError``.
"""

import re
from types import MappingProxyType

__all__ = ["Registry", "normalise_name"]

_AROUND_PUNCTUATION = re.compile(r"\s*([(),])\s*")


def normalise_name(name):
    """The registry key of ``name`` (rule 1 of ``robustgan.registry``).

    Examples
    --------
    >>> normalise_name(" Jensen_Shannon "), normalise_name("Beta( 1, 0.5 )")
    ('jensen-shannon', 'beta(1,0.5)')
    """
    name = _AROUND_PUNCTUATION.sub(r"\1", name.strip().lower())
    return name.replace("_", "-").replace(" ", "-")


class Registry:
    """Named entries of one kind, their aliases and parametrised families.

    Parameters
    ----------
    kind : str
        What the entries are ("divergence", "loss"), for messages.
    accepts : callable
        ``(object) -> bool``: whether an object is an entry of this kind.
    requirement : str
        What ``accepts`` asks, for messages ("a Divergence instance").
    fallback : Registry or None, default=None
        Asked for names this registry does not know.

    Attributes
    ----------
    entries : mapping
        Read-only view of the entries by canonical name, in registration order.

    Examples
    --------
    >>> numbers = Registry("number", lambda x: isinstance(x, int), "an int")
    >>> class One(int):
    ...     name, aliases = "one", ("unit",)
    >>> _ = numbers.register(One(1))
    >>> numbers.register_family(r"n([0-9]+)", lambda k: int(k), "n<k>")
    >>> numbers.get("UNIT"), numbers.get("n12"), numbers.get(7)
    (1, 12, 7)
    >>> numbers.names(), numbers.all_names()
    (['one'], ['one', 'n<k>'])
    """

    def __init__(self, kind, accepts, requirement, fallback=None):
        self.kind = kind
        self.accepts = accepts
        self.requirement = requirement
        self.fallback = fallback
        self._entries = {}
        self._aliases = {}
        self._families = []
        self.entries = MappingProxyType(self._entries)

    def register(self, entry):
        """Add ``entry`` under its ``name`` and ``aliases``; returns it.

        Raises
        ------
        TypeError
            When ``accepts(entry)`` is false.
        ValueError
            When one of its keys is taken in this registry, or its name is empty.
        """
        if not self.accepts(entry):
            raise TypeError(f"a {self.kind} must be {self.requirement}, got "
                            f"{type(entry).__name__}")
        keys = [normalise_name(entry.name)] + [normalise_name(a)
                                                for a in getattr(entry, "aliases", ())]
        taken = [k for k in keys if k in self._entries or k in self._aliases]
        if taken or not keys[0]:
            raise ValueError(f"{self.kind} keys already registered or empty: "
                             f"{taken or keys[:1]}")
        self._entries[keys[0]] = entry
        self._aliases.update(dict.fromkeys(keys[1:], keys[0]))
        return entry

    def register_family(self, pattern, factory, label):
        """Resolve every name matching ``pattern`` (a regular expression on normalised names,
        matched whole) to ``factory(*groups)``; ``label`` names the family in listings."""
        self._families.append((re.compile(pattern), factory, label))

    def names(self):
        """The canonical names of this registry's own entries, in registration order."""
        return list(self._entries)

    def all_names(self):
        """Every name this registry resolves: its entries, its families' labels, then the
        fallback's."""
        own = self.names() + [label for _, _, label in self._families]
        return own + (self.fallback.all_names() if self.fallback is not None else [])

    def all_aliases(self):
        """Every alias this registry resolves, its own then the fallback's."""
        own = list(self._aliases)
        return own + (self.fallback.all_aliases() if self.fallback is not None else [])

    def _find(self, key):
        """The entry of the normalised ``key``, or None."""
        key = self._aliases.get(key, key)
        if key in self._entries:
            return self._entries[key]
        for pattern, factory, _ in self._families:
            match = pattern.fullmatch(key)
            if match is not None:
                return factory(*match.groups())
        return self.fallback._find(key) if self.fallback is not None else None

    def get(self, name_or_entry):
        """The entry a name resolves to (see ``robustgan.registry``), or an entry unchanged.

        Raises
        ------
        ValueError
            For an unknown name; the message lists the valid ones.
        TypeError
            For anything that is neither a string nor an entry.
        """
        if not isinstance(name_or_entry, str):
            if self.accepts(name_or_entry):
                return name_or_entry
            raise TypeError(f"expected a {self.kind} name or {self.requirement}, got "
                            f"{type(name_or_entry).__name__}")
        entry = self._find(normalise_name(name_or_entry))
        if entry is None:
            raise ValueError(f"unknown {self.kind} {name_or_entry!r}; valid names: "
                             f"{', '.join(self.all_names())} (aliases: "
                             f"{', '.join(self.all_aliases())})")
        return entry

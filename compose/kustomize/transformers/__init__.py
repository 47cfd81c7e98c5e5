"""Kustomize's built-in transformers and generators, one module each, as pure-ish functions.

Each module mirrors one Kustomize v5.5 plugin and says which in its docstring; the fields they
touch are data: Kustomize's default configuration, merged with ``configurations:`` and
``crds:`` (:mod:`.config`, :mod:`.fieldspecs`). They work in place on the build's
:class:`compose.kustomize.resource.Resource` objects and record renames so that
:mod:`.namereference` can fix references at the end, as kustomize does:

- :func:`generators.generate` -- configMapGenerator, secretGenerator
- :func:`namespace.apply` -- namespace
- :func:`names.apply` -- namePrefix, nameSuffix
- :func:`labels.apply` -- labels, commonLabels
- :func:`annotations.apply` -- commonAnnotations
- :func:`images.apply` -- images
- :func:`replicas.apply` -- replicas
- :func:`replacements.apply` -- replacements
- :func:`vars.bind` / :func:`vars.resolve` / :func:`vars.expand` -- vars (per level, then at the end)
- :func:`buildmetadata.finish` -- buildMetadata annotations and label (end of build)
- :func:`hashing.apply` -- the content-hash suffix of generated names (end of build)
- :func:`namereference.fix` -- name references to renamed resources (end of build)
"""

# The modules are imported where they are used (``from .transformers import labels``), not
# here: a build pays only for the transformers its kustomizations ask for.

__all__ = [
    "annotations",
    "buildmetadata",
    "config",
    "generators",
    "hashing",
    "images",
    "labels",
    "namereference",
    "names",
    "namespace",
    "replacements",
    "replicas",
    "vars",
]

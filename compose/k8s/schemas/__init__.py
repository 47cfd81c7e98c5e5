"""Compact Kubernetes schemas, one ``v<major>.<minor>.json.gz`` per version (data only).

Written by ``python -m compose.k8s.gen_schemas``; read by :mod:`compose.k8s.schema`.
"""

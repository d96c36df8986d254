"""Re-encrypt every secret at rest after ``PU_ENCRYPT_KEY`` changes.

The operator puts the new key in ``PU_ENCRYPT_KEY`` and passes the old one;
each encrypted value is decrypted with the old key and sealed with the new one
in a single transaction. Values already sealed with the new key are left as
they are, so an interrupted run can simply be repeated.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import JSONDecodeError_
from ..extensions import db, get_settings
from ..models import RepositoryRegistryCredentials, Unit
from . import crypto

ENCRYPTED_COLUMNS = (
    (Unit, "cipher_env_dict"),
    (Unit, "cipher_state_storage"),
    (RepositoryRegistryCredentials, "cipher_credentials"),
)


@dataclass
class RotationReport:
    reencrypted: int = 0
    already_new: int = 0


def rotate(old_key_b64: str) -> RotationReport:
    settings = get_settings()
    new_key = settings.PU_ENCRYPT_KEY
    report = RotationReport()
    for model, column_name in ENCRYPTED_COLUMNS:
        column = getattr(model, column_name)
        rows = db.session.execute(sa.select(model).where(column.is_not(None)).with_for_update()).scalars()
        for row in rows:
            sealed = getattr(row, column_name)
            try:
                plain = crypto.decrypt(sealed, old_key_b64)
            except JSONDecodeError_:
                crypto.decrypt(sealed, new_key)  # neither key opens it: stop, change nothing
                report.already_new += 1
                continue
            setattr(row, column_name, crypto.encrypt(plain, new_key, max(len(plain), settings.PU_MAX_CIPHER_LENGTH)))
            report.reencrypted += 1
    db.session.commit()
    return report

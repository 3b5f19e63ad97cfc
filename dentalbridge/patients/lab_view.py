"""What a lab, technician or designer may know about a patient (REC-7, DTR): the pseudonym.

Lab-facing code receives a ``PatientForLab``, never a ``Patient``: the type has no field for a
name, birth date, contact data or the practice's reference, so none can leak by mistake — a
template or serializer given one cannot reach what it does not hold.
"""

from dataclasses import dataclass

from dentalbridge.patients.models import Patient


@dataclass(frozen=True, slots=True)
class PatientForLab:
    id: str
    pseudonym: str

    @classmethod
    def of(cls, patient: Patient) -> "PatientForLab":
        return cls(id=str(patient.public_id), pseudonym=patient.pseudonym)

    def __str__(self) -> str:
        return self.pseudonym

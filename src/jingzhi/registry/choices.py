"""Enumerations of the resident register."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Tenure(models.TextChoices):
    OWNER = "owner", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    OTHER = "other", _("Other")


class ResidenceType(models.TextChoices):
    REGISTERED = "registered", _("Registered (户籍)")
    PERMANENT = "permanent", _("Permanent (常住)")
    FLOATING = "floating", _("Floating (流动)")


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class ResidentStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    AWAY = "away", _("Away")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")


class TagCode(models.TextChoices):
    """The managed tag vocabulary (derived tags such as 60+ are computed, not stored)."""

    PARTY_MEMBER = "party_member", _("Party member")
    VETERAN = "veteran", _("Veteran")
    DISABLED = "disabled", _("Disabled")
    DIBAO = "dibao", _("Minimum-living-allowance recipient (低保)")
    TEKUN = "tekun", _("Extreme-poverty support (特困)")
    DIBIAN = "dibian", _("Marginal low-income (低边)")
    KEY_CARE = "key_care", _("Key-care person")


class AwayReason(models.TextChoices):
    HOSPITAL = "hospital", _("In hospital")
    TRAVELLING = "travelling", _("Travelling")
    WORKING_ELSEWHERE = "working_elsewhere", _("Working elsewhere")
    STUDYING = "studying", _("Studying elsewhere")
    OTHER = "other", _("Other reason")


class RentalRegistration(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    PENDING = "pending", _("Pending")
    UNREGISTERED = "unregistered", _("Not registered")


class VehicleKind(models.TextChoices):
    CAR = "car", _("Car")
    EBIKE = "ebike", _("E-bike")
    MOTORCYCLE = "motorcycle", _("Motorcycle")
    BICYCLE = "bicycle", _("Bicycle")


class ParkingKind(models.TextChoices):
    OWNED = "owned", _("Owned")
    RENTED = "rented", _("Rented")
    SHARED = "shared", _("Shared")


class CredentialKind(models.TextChoices):
    CARD = "card", _("Access card")
    FACE = "face", _("Face (reference on the gate device)")
    QR = "qr", _("QR code")


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")

"""The seeded dataset every mock shares, so the same people exist in BPJS, the ERM and the app.

The same seed gives the same data in every process: names, addresses and phones come from Faker's
`id_ID` locale seeded per instance, everything else from a `random.Random(seed)`; nothing depends on
hash randomisation or the clock. `python -m mock_services dataset --seed S` prints it as JSON.

Identity numbers follow the real formats (see shared/health-apis.md): a NIK is the 6-digit
region code + birth date as DDMMYY (day + 40 for women) + a 4-digit serial; a BPJS card number
(noKartu) has 13 digits. Field names are the real APIs' own (Indonesian, camelCase).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from typing import Any

from faker import Faker

DEFAULT_SEED = 1
DEFAULT_PATIENTS = 200
REFERENCE_DATE = dt.date(2025, 10, 27)  # fixed, so ages and card dates do not drift with the clock

# Real region codes (province + regency/city + district) of places in shared/incidents.md.
REGION_CODES = (
    "327101",  # Kota Bogor (incident 5)
    "327102",
    "352901",  # Kabupaten Sumenep, Bluto (incident 2)
    "352911",
    "317101",  # Jakarta Pusat
    "317401",  # Jakarta Selatan
    "367101",  # Kota Tangerang, near Soekarno-Hatta (incident 4)
    "357801",  # Kota Surabaya
)

# (kode, keterangan). "0"/"AKTIF" is confirmed by public client libraries; the inactive codes are
# plausible values, not confirmed ones, and clients should only rely on kode "0" meaning active.
STATUS_AKTIF = ("0", "AKTIF")
STATUS_INACTIVE = (
    ("1", "TIDAK AKTIF KARENA PREMI"),
    ("2", "TIDAK AKTIF MENINGGAL"),
    ("3", "TIDAK AKTIF KELUAR KEMAUAN SENDIRI"),
)
JENIS_PESERTA = (
    ("13", "PEGAWAI SWASTA"),
    ("21", "PBI (APBN)"),
    ("22", "PBI (APBD)"),
    ("14", "PEKERJA MANDIRI"),
)
HAK_KELAS = (("1", "KELAS I"), ("2", "KELAS II"), ("3", "KELAS III"))

POLYCLINICS = (
    ("INT", "PENYAKIT DALAM"),
    ("ANA", "ANAK"),
    ("OBG", "OBGYN"),
    ("BED", "BEDAH"),
    ("MAT", "MATA"),
    ("THT", "THT"),
    ("GIG", "GIGI"),
    ("JAN", "JANTUNG"),
)
PRACTICE_HOURS = ("08:00-12:00", "13:00-16:00", "16:00-20:00")
MOBILE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0852", "0856", "0857", "0877", "0878")


@dataclass(frozen=True, slots=True)
class Code:
    kode: str
    keterangan: str


@dataclass(frozen=True, slots=True)
class Provider:
    kdProvider: str
    nmProvider: str


@dataclass(frozen=True, slots=True)
class Patient:
    nik: str
    noKartu: str
    nama: str
    sex: str  # "L" or "P"
    tglLahir: str
    alamat: str
    noTelepon: str
    noMR: str
    statusPeserta: Code
    jenisPeserta: Code
    hakKelas: Code
    provUmum: Provider
    tglTMT: str
    tglTAT: str
    ihs_number: str
    username: str
    password: str

    @property
    def aktif(self) -> bool:
        return self.statusPeserta.kode == STATUS_AKTIF[0]


@dataclass(frozen=True, slots=True)
class Polyclinic:
    kodepoli: str
    namapoli: str


@dataclass(frozen=True, slots=True)
class Doctor:
    kodedokter: int
    namadokter: str
    kodepoli: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """A weekly practice slot; `hari` is the ISO weekday (1 = Monday ... 7 = Sunday)."""

    kodedokter: int
    kodepoli: str
    hari: int
    namahari: str
    jadwal: str
    kapasitaspasien: int


@dataclass(frozen=True, slots=True)
class Facility:
    kode: str  # BPJS facility code (kdPPK)
    nama: str
    organization_id: str  # SATUSEHAT organization id
    alamat: str
    telepon: str


@dataclass(frozen=True)
class Dataset:
    seed: int
    facility: Facility
    patients: tuple[Patient, ...]
    polyclinics: tuple[Polyclinic, ...]
    doctors: tuple[Doctor, ...]
    schedules: tuple[Schedule, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (lists, not tuples), exactly as `mock_services dataset` prints it."""
        data: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        return data

    @cached_property
    def _by_nik(self) -> dict[str, Patient]:
        return {p.nik: p for p in self.patients}

    @cached_property
    def _by_card(self) -> dict[str, Patient]:
        return {p.noKartu: p for p in self.patients}

    def patient_by_nik(self, nik: str) -> Patient | None:
        return self._by_nik.get(nik)

    def patient_by_card(self, no_kartu: str) -> Patient | None:
        return self._by_card.get(no_kartu)

    def polyclinic(self, kodepoli: str) -> Polyclinic | None:
        return next((p for p in self.polyclinics if p.kodepoli == kodepoli), None)

    def schedules_on(self, kodepoli: str, date: dt.date) -> tuple[Schedule, ...]:
        weekday = date.isoweekday()
        return tuple(s for s in self.schedules if s.kodepoli == kodepoli and s.hari == weekday)


DAY_NAMES = ("SENIN", "SELASA", "RABU", "KAMIS", "JUMAT", "SABTU", "MINGGU")


def make_nik(rng: random.Random, birth: dt.date, *, female: bool, serial: int) -> str:
    day = birth.day + 40 if female else birth.day
    return f"{rng.choice(REGION_CODES)}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def _patient(fake: Faker, rng: random.Random, index: int, facility: Facility) -> Patient:
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name_female() if female else fake.last_name_male()
    nama = f"{first} {last}".upper()
    birth = REFERENCE_DATE - dt.timedelta(days=rng.randint(365, 85 * 365))
    nik = make_nik(rng, birth, female=female, serial=index + 1)
    no_kartu = f"000{rng.randint(10**9, 10**10 - 1)}"
    status = STATUS_AKTIF if rng.random() < 0.85 else rng.choice(STATUS_INACTIVE)
    tmt = REFERENCE_DATE - dt.timedelta(days=rng.randint(30, 3000))
    username = f"{nama.split()[0].lower()}{index + 1:03d}"
    return Patient(
        nik=nik,
        noKartu=no_kartu,
        nama=nama,
        sex="P" if female else "L",
        tglLahir=birth.isoformat(),
        alamat=fake.address().replace("\n", ", "),
        noTelepon=f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(10**7, 10**8 - 1)}",
        noMR=f"{rng.randint(0, 999999):06d}",
        statusPeserta=Code(*status),
        jenisPeserta=Code(*rng.choice(JENIS_PESERTA)),
        hakKelas=Code(*rng.choice(HAK_KELAS)),
        provUmum=Provider(kdProvider=facility.kode, nmProvider=facility.nama),
        tglTMT=tmt.isoformat(),
        tglTAT="2099-12-31" if status == STATUS_AKTIF else REFERENCE_DATE.isoformat(),
        ihs_number=f"P{rng.randint(10**10, 10**11 - 1)}",
        username=username,
        password=f"sehat-{index + 1:03d}",
    )


def _unique_patients(fake: Faker, rng: random.Random, n: int, facility: Facility) -> list[Patient]:
    patients: list[Patient] = []
    seen: set[str] = set()
    for index in range(n * 2):  # bounded: collisions of 10-digit random card numbers are rare
        if len(patients) == n:
            break
        patient = _patient(fake, rng, index, facility)
        if patient.noKartu in seen or patient.noMR in seen:
            continue
        seen.update((patient.noKartu, patient.noMR))
        patients.append(patient)
    return patients


@lru_cache(maxsize=8)
def generate(seed: int = DEFAULT_SEED, n_patients: int = DEFAULT_PATIENTS) -> Dataset:
    """Build the dataset for `seed`; cached, so every service in a process shares one instance."""
    rng = random.Random(seed)
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    facility = Facility(
        kode=f"{rng.randint(0, 9999):04d}R{rng.randint(0, 999):03d}",
        nama=f"RSUD {fake.city().upper()}",
        organization_id=str(rng.randint(10**8, 10**9 - 1)),
        alamat=fake.address().replace("\n", ", "),
        telepon=f"0251{rng.randint(10**6, 10**7 - 1)}",
    )
    patients = _unique_patients(fake, rng, n_patients, facility)
    polyclinics = tuple(Polyclinic(kode, nama) for kode, nama in POLYCLINICS)
    doctors: list[Doctor] = []
    schedules: list[Schedule] = []
    for poli in polyclinics:
        for _ in range(2):
            doctor = Doctor(
                kodedokter=rng.randint(1000, 99999),
                namadokter=f"dr. {fake.first_name().upper()} {fake.last_name().upper()}",
                kodepoli=poli.kodepoli,
            )
            doctors.append(doctor)
            for hari in sorted(rng.sample(range(1, 7), k=4)):  # Monday..Saturday
                schedules.append(
                    Schedule(
                        kodedokter=doctor.kodedokter,
                        kodepoli=poli.kodepoli,
                        hari=hari,
                        namahari=DAY_NAMES[hari - 1],
                        jadwal=rng.choice(PRACTICE_HOURS),
                        kapasitaspasien=rng.choice((20, 30, 40)),
                    )
                )
    return Dataset(
        seed=seed,
        facility=facility,
        patients=tuple(patients),
        polyclinics=polyclinics,
        doctors=tuple(doctors),
        schedules=tuple(schedules),
    )

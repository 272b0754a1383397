"""Reusable UI pieces and pure figure builders. Components only draw: no SQL, no Flask, no store imports."""

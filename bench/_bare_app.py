"""The baseline: a bare FastAPI endpoint returning a constant, served exactly like the real service."""

from fastapi import FastAPI

app = FastAPI()


@app.post("/bare")
async def bare() -> dict[str, str]:
    return {"status": "ok"}

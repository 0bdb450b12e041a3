# Kalipxo service image: the Django app (web), Celery workers and beat share it.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 kalipxo
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs settings to import; the real secret comes from the environment at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v0
# The uploads volume takes this directory's owner when it is first created.
RUN mkdir -p /app/uploads && chown kalipxo /app/uploads
USER kalipxo
EXPOSE 8000
CMD ["gunicorn", "kalipxo.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

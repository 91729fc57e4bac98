"""Codes and notices by phone: one small interface (`send_code`, `send_notice`) over WhatsApp's
Cloud API, Twilio SMS and the console (DESIGN.md section 10). See messaging/service.py."""

"""The demo shop's persona documents, written the way a CX team would, with rules that find their people.

They describe the five personas the generator plants (synth/personas.py) in words,
and their rules use only behavioural features a real shop would have, so the demo's
maps show what a user's own personas would give. Parsed by `jejak.segments.personas`.
"""

from __future__ import annotations

DEMO_PERSONAS_YAML = """\
- name: Pak Budi, the café owner
  priority: 1
  description: Runs a café in Bandung and buys wholesale by WhatsApp or the call centre; large, frequent orders.
  demographics: {age: 35-44, city: Bandung, role: café owner}
  goals: [Never run out of beans on a busy weekend, Steady quality from batch to batch]
  motivations: [A supplier who answers WhatsApp quickly]
  needs: [Wholesale prices, Invoices for his accounts]
  frustrations: [Waiting for a reply before he can order]
  rules: ["average_order_value >= 400000"]
- name: Sari, the loyal subscriber
  priority: 2
  description: Subscribes to a monthly bag; comes back by e-mail and the app and orders again and again.
  demographics: {age: 30-39, city: Jakarta}
  goals: [Fresh coffee every month without thinking about it]
  motivations: [New origins to try, Member prices]
  needs: [Reminders before her subscription renews]
  frustrations: [Late deliveries]
  rules: ["conversions >= 3"]
- name: Dewi, the gift buyer
  priority: 3
  description: Picks up a brochure, scans its QR code and buys gift sets in the store before Lebaran.
  demographics: {age: 40-54, city: Jakarta}
  goals: [A gift that looks good and arrives on time]
  needs: [Gift wrapping, Clear prices on the brochure]
  frustrations: [Plain packaging]
  rules: [{feature: first_channel, op: in, value: [Print / QR, Offline Store]}]
- name: Andi, the office buyer
  priority: 4
  description: Orders drip bags and blends for the office on Tokopedia, from a desktop.
  demographics: {age: 25-34, city: Jakarta, role: office manager}
  goals: [Coffee for the team at a fair price]
  needs: [Invoices, Marketplace vouchers]
  frustrations: [Slow shipping from the marketplace]
  rules: ["main_device == 'desktop'"]
- name: Rina, the Instagram regular
  priority: 5
  description: 22, student; finds coffee on Instagram and buys small bags on her phone.
  demographics: {age: 18-24, city: Bandung}
  goals: [Try a new single origin every month]
  motivations: [What her friends post]
  frustrations: [Shipping costs more than the coffee]
  rules: ["main_device == 'mobile'"]
"""
